// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @title A vault that does things the modern way: no findings expected here.
contract Vault {
    address public immutable owner;
    mapping(address => uint256) public balances;

    error NotOwner();

    constructor() {
        owner = msg.sender;
    }

    function deposit() external payable {
        balances[msg.sender] += msg.value;
    }

    function sweep(address payable to) external {
        if (msg.sender != owner) revert NotOwner();
        (bool ok, ) = to.call{value: address(this).balance}("");
        require(ok, "transfer failed");
    }

    /// Only externally owned accounts may call: comparing `tx.origin` with `msg.sender`
    /// is not authorization.
    function poke() external view returns (bool) {
        require(tx.origin == msg.sender, "no contracts");
        return true;
    }
}
