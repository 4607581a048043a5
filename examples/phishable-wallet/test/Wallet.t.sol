// SPDX-License-Identifier: MIT
pragma solidity ^0.4.24;

import "../src/Wallet.sol";

/// Tests are analysed but not reported by default.
contract WalletTest {
    Wallet wallet;

    function setUp() public {
        wallet = new Wallet();
        require(tx.origin == address(this));
    }
}
