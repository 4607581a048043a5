// SPDX-License-Identifier: MIT
pragma solidity ^0.4.24;

import "solmate-lite/Owned.sol";

/// @title A wallet that trusts `tx.origin` and still uses pre-0.5 constructs.
contract Wallet is Owned {
    mapping(address => uint256) public deposits;

    function deposit() public payable {
        deposits[msg.sender] += msg.value;
    }

    /// A phishing contract called by the owner passes this check.
    function withdrawAll(address to) public {
        require(tx.origin == owner);
        to.transfer(address(this).balance);
    }

    function balanceOf(address who) public constant returns (uint256) {
        return deposits[who];
    }

    function refund(uint256 amount) public {
        if (deposits[msg.sender] < amount) throw;
        deposits[msg.sender] -= amount;
        msg.sender.transfer(amount);
    }

    function close() public onlyOwner {
        suicide(owner);
    }

    function hash(bytes data) public pure returns (bytes32) {
        return sha3(data);
    }
}
