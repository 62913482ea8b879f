// SPDX-License-Identifier: MIT
// The peer's ERC-20 token: balances and transfer as in the standard (the allowance half is not
// exercised by the benchmark). The constructor gives the deployer the whole supply.
pragma solidity ^0.8.20;

contract Token {
    mapping(address => uint256) public balanceOf;
    uint256 public totalSupply;
    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(uint256 supply) {
        balanceOf[msg.sender] = supply;
        totalSupply = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        uint256 balance = balanceOf[msg.sender];
        require(balance >= value, "balance too low");
        unchecked { balanceOf[msg.sender] = balance - value; }
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }
}
