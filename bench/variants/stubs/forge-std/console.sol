// SPDX-License-Identifier: MIT
// Permissive stand-in for forge-std's console, for bench/variants/check_compile.js only.
pragma solidity >=0.7.0 <0.9.0;

library console {
    function log(uint256 p0) internal pure {}
    function log(string memory p0) internal pure {}
    function log(bool p0) internal pure {}
    function log(address p0) internal pure {}
    function log(uint256 p0, uint256 p1) internal pure {}
    function log(uint256 p0, string memory p1) internal pure {}
    function log(uint256 p0, bool p1) internal pure {}
    function log(uint256 p0, address p1) internal pure {}
    function log(string memory p0, uint256 p1) internal pure {}
    function log(string memory p0, string memory p1) internal pure {}
    function log(string memory p0, bool p1) internal pure {}
    function log(string memory p0, address p1) internal pure {}
    function log(bool p0, uint256 p1) internal pure {}
    function log(bool p0, string memory p1) internal pure {}
    function log(bool p0, bool p1) internal pure {}
    function log(bool p0, address p1) internal pure {}
    function log(address p0, uint256 p1) internal pure {}
    function log(address p0, string memory p1) internal pure {}
    function log(address p0, bool p1) internal pure {}
    function log(address p0, address p1) internal pure {}
    function log(uint256 p0, uint256 p1, uint256 p2) internal pure {}
    function log(uint256 p0, uint256 p1, string memory p2) internal pure {}
    function log(uint256 p0, uint256 p1, bool p2) internal pure {}
    function log(uint256 p0, uint256 p1, address p2) internal pure {}
    function log(uint256 p0, string memory p1, uint256 p2) internal pure {}
    function log(uint256 p0, string memory p1, string memory p2) internal pure {}
    function log(uint256 p0, string memory p1, bool p2) internal pure {}
    function log(uint256 p0, string memory p1, address p2) internal pure {}
    function log(uint256 p0, bool p1, uint256 p2) internal pure {}
    function log(uint256 p0, bool p1, string memory p2) internal pure {}
    function log(uint256 p0, bool p1, bool p2) internal pure {}
    function log(uint256 p0, bool p1, address p2) internal pure {}
    function log(uint256 p0, address p1, uint256 p2) internal pure {}
    function log(uint256 p0, address p1, string memory p2) internal pure {}
    function log(uint256 p0, address p1, bool p2) internal pure {}
    function log(uint256 p0, address p1, address p2) internal pure {}
    function log(string memory p0, uint256 p1, uint256 p2) internal pure {}
    function log(string memory p0, uint256 p1, string memory p2) internal pure {}
    function log(string memory p0, uint256 p1, bool p2) internal pure {}
    function log(string memory p0, uint256 p1, address p2) internal pure {}
    function log(string memory p0, string memory p1, uint256 p2) internal pure {}
    function log(string memory p0, string memory p1, string memory p2) internal pure {}
    function log(string memory p0, string memory p1, bool p2) internal pure {}
    function log(string memory p0, string memory p1, address p2) internal pure {}
    function log(string memory p0, bool p1, uint256 p2) internal pure {}
    function log(string memory p0, bool p1, string memory p2) internal pure {}
    function log(string memory p0, bool p1, bool p2) internal pure {}
    function log(string memory p0, bool p1, address p2) internal pure {}
    function log(string memory p0, address p1, uint256 p2) internal pure {}
    function log(string memory p0, address p1, string memory p2) internal pure {}
    function log(string memory p0, address p1, bool p2) internal pure {}
    function log(string memory p0, address p1, address p2) internal pure {}
    function log(bool p0, uint256 p1, uint256 p2) internal pure {}
    function log(bool p0, uint256 p1, string memory p2) internal pure {}
    function log(bool p0, uint256 p1, bool p2) internal pure {}
    function log(bool p0, uint256 p1, address p2) internal pure {}
    function log(bool p0, string memory p1, uint256 p2) internal pure {}
    function log(bool p0, string memory p1, string memory p2) internal pure {}
    function log(bool p0, string memory p1, bool p2) internal pure {}
    function log(bool p0, string memory p1, address p2) internal pure {}
    function log(bool p0, bool p1, uint256 p2) internal pure {}
    function log(bool p0, bool p1, string memory p2) internal pure {}
    function log(bool p0, bool p1, bool p2) internal pure {}
    function log(bool p0, bool p1, address p2) internal pure {}
    function log(bool p0, address p1, uint256 p2) internal pure {}
    function log(bool p0, address p1, string memory p2) internal pure {}
    function log(bool p0, address p1, bool p2) internal pure {}
    function log(bool p0, address p1, address p2) internal pure {}
    function log(address p0, uint256 p1, uint256 p2) internal pure {}
    function log(address p0, uint256 p1, string memory p2) internal pure {}
    function log(address p0, uint256 p1, bool p2) internal pure {}
    function log(address p0, uint256 p1, address p2) internal pure {}
    function log(address p0, string memory p1, uint256 p2) internal pure {}
    function log(address p0, string memory p1, string memory p2) internal pure {}
    function log(address p0, string memory p1, bool p2) internal pure {}
    function log(address p0, string memory p1, address p2) internal pure {}
    function log(address p0, bool p1, uint256 p2) internal pure {}
    function log(address p0, bool p1, string memory p2) internal pure {}
    function log(address p0, bool p1, bool p2) internal pure {}
    function log(address p0, bool p1, address p2) internal pure {}
    function log(address p0, address p1, uint256 p2) internal pure {}
    function log(address p0, address p1, string memory p2) internal pure {}
    function log(address p0, address p1, bool p2) internal pure {}
    function log(address p0, address p1, address p2) internal pure {}
    function log(uint256 p0, uint256 p1, uint256 p2, uint256 p3) internal pure {}
    function log(uint256 p0, uint256 p1, uint256 p2, string memory p3) internal pure {}
    function log(uint256 p0, uint256 p1, uint256 p2, bool p3) internal pure {}
    function log(uint256 p0, uint256 p1, uint256 p2, address p3) internal pure {}
    function log(uint256 p0, uint256 p1, string memory p2, uint256 p3) internal pure {}
    function log(uint256 p0, uint256 p1, string memory p2, string memory p3) internal pure {}
    function log(uint256 p0, uint256 p1, string memory p2, bool p3) internal pure {}
    function log(uint256 p0, uint256 p1, string memory p2, address p3) internal pure {}
    function log(uint256 p0, uint256 p1, bool p2, uint256 p3) internal pure {}
    function log(uint256 p0, uint256 p1, bool p2, string memory p3) internal pure {}
    function log(uint256 p0, uint256 p1, bool p2, bool p3) internal pure {}
    function log(uint256 p0, uint256 p1, bool p2, address p3) internal pure {}
    function log(uint256 p0, uint256 p1, address p2, uint256 p3) internal pure {}
    function log(uint256 p0, uint256 p1, address p2, string memory p3) internal pure {}
    function log(uint256 p0, uint256 p1, address p2, bool p3) internal pure {}
    function log(uint256 p0, uint256 p1, address p2, address p3) internal pure {}
    function log(uint256 p0, string memory p1, uint256 p2, uint256 p3) internal pure {}
    function log(uint256 p0, string memory p1, uint256 p2, string memory p3) internal pure {}
    function log(uint256 p0, string memory p1, uint256 p2, bool p3) internal pure {}
    function log(uint256 p0, string memory p1, uint256 p2, address p3) internal pure {}
    function log(uint256 p0, string memory p1, string memory p2, uint256 p3) internal pure {}
    function log(uint256 p0, string memory p1, string memory p2, string memory p3) internal pure {}
    function log(uint256 p0, string memory p1, string memory p2, bool p3) internal pure {}
    function log(uint256 p0, string memory p1, string memory p2, address p3) internal pure {}
    function log(uint256 p0, string memory p1, bool p2, uint256 p3) internal pure {}
    function log(uint256 p0, string memory p1, bool p2, string memory p3) internal pure {}
    function log(uint256 p0, string memory p1, bool p2, bool p3) internal pure {}
    function log(uint256 p0, string memory p1, bool p2, address p3) internal pure {}
    function log(uint256 p0, string memory p1, address p2, uint256 p3) internal pure {}
    function log(uint256 p0, string memory p1, address p2, string memory p3) internal pure {}
    function log(uint256 p0, string memory p1, address p2, bool p3) internal pure {}
    function log(uint256 p0, string memory p1, address p2, address p3) internal pure {}
    function log(uint256 p0, bool p1, uint256 p2, uint256 p3) internal pure {}
    function log(uint256 p0, bool p1, uint256 p2, string memory p3) internal pure {}
    function log(uint256 p0, bool p1, uint256 p2, bool p3) internal pure {}
    function log(uint256 p0, bool p1, uint256 p2, address p3) internal pure {}
    function log(uint256 p0, bool p1, string memory p2, uint256 p3) internal pure {}
    function log(uint256 p0, bool p1, string memory p2, string memory p3) internal pure {}
    function log(uint256 p0, bool p1, string memory p2, bool p3) internal pure {}
    function log(uint256 p0, bool p1, string memory p2, address p3) internal pure {}
    function log(uint256 p0, bool p1, bool p2, uint256 p3) internal pure {}
    function log(uint256 p0, bool p1, bool p2, string memory p3) internal pure {}
    function log(uint256 p0, bool p1, bool p2, bool p3) internal pure {}
    function log(uint256 p0, bool p1, bool p2, address p3) internal pure {}
    function log(uint256 p0, bool p1, address p2, uint256 p3) internal pure {}
    function log(uint256 p0, bool p1, address p2, string memory p3) internal pure {}
    function log(uint256 p0, bool p1, address p2, bool p3) internal pure {}
    function log(uint256 p0, bool p1, address p2, address p3) internal pure {}
    function log(uint256 p0, address p1, uint256 p2, uint256 p3) internal pure {}
    function log(uint256 p0, address p1, uint256 p2, string memory p3) internal pure {}
    function log(uint256 p0, address p1, uint256 p2, bool p3) internal pure {}
    function log(uint256 p0, address p1, uint256 p2, address p3) internal pure {}
    function log(uint256 p0, address p1, string memory p2, uint256 p3) internal pure {}
    function log(uint256 p0, address p1, string memory p2, string memory p3) internal pure {}
    function log(uint256 p0, address p1, string memory p2, bool p3) internal pure {}
    function log(uint256 p0, address p1, string memory p2, address p3) internal pure {}
    function log(uint256 p0, address p1, bool p2, uint256 p3) internal pure {}
    function log(uint256 p0, address p1, bool p2, string memory p3) internal pure {}
    function log(uint256 p0, address p1, bool p2, bool p3) internal pure {}
    function log(uint256 p0, address p1, bool p2, address p3) internal pure {}
    function log(uint256 p0, address p1, address p2, uint256 p3) internal pure {}
    function log(uint256 p0, address p1, address p2, string memory p3) internal pure {}
    function log(uint256 p0, address p1, address p2, bool p3) internal pure {}
    function log(uint256 p0, address p1, address p2, address p3) internal pure {}
    function log(string memory p0, uint256 p1, uint256 p2, uint256 p3) internal pure {}
    function log(string memory p0, uint256 p1, uint256 p2, string memory p3) internal pure {}
    function log(string memory p0, uint256 p1, uint256 p2, bool p3) internal pure {}
    function log(string memory p0, uint256 p1, uint256 p2, address p3) internal pure {}
    function log(string memory p0, uint256 p1, string memory p2, uint256 p3) internal pure {}
    function log(string memory p0, uint256 p1, string memory p2, string memory p3) internal pure {}
    function log(string memory p0, uint256 p1, string memory p2, bool p3) internal pure {}
    function log(string memory p0, uint256 p1, string memory p2, address p3) internal pure {}
    function log(string memory p0, uint256 p1, bool p2, uint256 p3) internal pure {}
    function log(string memory p0, uint256 p1, bool p2, string memory p3) internal pure {}
    function log(string memory p0, uint256 p1, bool p2, bool p3) internal pure {}
    function log(string memory p0, uint256 p1, bool p2, address p3) internal pure {}
    function log(string memory p0, uint256 p1, address p2, uint256 p3) internal pure {}
    function log(string memory p0, uint256 p1, address p2, string memory p3) internal pure {}
    function log(string memory p0, uint256 p1, address p2, bool p3) internal pure {}
    function log(string memory p0, uint256 p1, address p2, address p3) internal pure {}
    function log(string memory p0, string memory p1, uint256 p2, uint256 p3) internal pure {}
    function log(string memory p0, string memory p1, uint256 p2, string memory p3) internal pure {}
    function log(string memory p0, string memory p1, uint256 p2, bool p3) internal pure {}
    function log(string memory p0, string memory p1, uint256 p2, address p3) internal pure {}
    function log(string memory p0, string memory p1, string memory p2, uint256 p3) internal pure {}
    function log(string memory p0, string memory p1, string memory p2, string memory p3) internal pure {}
    function log(string memory p0, string memory p1, string memory p2, bool p3) internal pure {}
    function log(string memory p0, string memory p1, string memory p2, address p3) internal pure {}
    function log(string memory p0, string memory p1, bool p2, uint256 p3) internal pure {}
    function log(string memory p0, string memory p1, bool p2, string memory p3) internal pure {}
    function log(string memory p0, string memory p1, bool p2, bool p3) internal pure {}
    function log(string memory p0, string memory p1, bool p2, address p3) internal pure {}
    function log(string memory p0, string memory p1, address p2, uint256 p3) internal pure {}
    function log(string memory p0, string memory p1, address p2, string memory p3) internal pure {}
    function log(string memory p0, string memory p1, address p2, bool p3) internal pure {}
    function log(string memory p0, string memory p1, address p2, address p3) internal pure {}
    function log(string memory p0, bool p1, uint256 p2, uint256 p3) internal pure {}
    function log(string memory p0, bool p1, uint256 p2, string memory p3) internal pure {}
    function log(string memory p0, bool p1, uint256 p2, bool p3) internal pure {}
    function log(string memory p0, bool p1, uint256 p2, address p3) internal pure {}
    function log(string memory p0, bool p1, string memory p2, uint256 p3) internal pure {}
    function log(string memory p0, bool p1, string memory p2, string memory p3) internal pure {}
    function log(string memory p0, bool p1, string memory p2, bool p3) internal pure {}
    function log(string memory p0, bool p1, string memory p2, address p3) internal pure {}
    function log(string memory p0, bool p1, bool p2, uint256 p3) internal pure {}
    function log(string memory p0, bool p1, bool p2, string memory p3) internal pure {}
    function log(string memory p0, bool p1, bool p2, bool p3) internal pure {}
    function log(string memory p0, bool p1, bool p2, address p3) internal pure {}
    function log(string memory p0, bool p1, address p2, uint256 p3) internal pure {}
    function log(string memory p0, bool p1, address p2, string memory p3) internal pure {}
    function log(string memory p0, bool p1, address p2, bool p3) internal pure {}
    function log(string memory p0, bool p1, address p2, address p3) internal pure {}
    function log(string memory p0, address p1, uint256 p2, uint256 p3) internal pure {}
    function log(string memory p0, address p1, uint256 p2, string memory p3) internal pure {}
    function log(string memory p0, address p1, uint256 p2, bool p3) internal pure {}
    function log(string memory p0, address p1, uint256 p2, address p3) internal pure {}
    function log(string memory p0, address p1, string memory p2, uint256 p3) internal pure {}
    function log(string memory p0, address p1, string memory p2, string memory p3) internal pure {}
    function log(string memory p0, address p1, string memory p2, bool p3) internal pure {}
    function log(string memory p0, address p1, string memory p2, address p3) internal pure {}
    function log(string memory p0, address p1, bool p2, uint256 p3) internal pure {}
    function log(string memory p0, address p1, bool p2, string memory p3) internal pure {}
    function log(string memory p0, address p1, bool p2, bool p3) internal pure {}
    function log(string memory p0, address p1, bool p2, address p3) internal pure {}
    function log(string memory p0, address p1, address p2, uint256 p3) internal pure {}
    function log(string memory p0, address p1, address p2, string memory p3) internal pure {}
    function log(string memory p0, address p1, address p2, bool p3) internal pure {}
    function log(string memory p0, address p1, address p2, address p3) internal pure {}
    function log(bool p0, uint256 p1, uint256 p2, uint256 p3) internal pure {}
    function log(bool p0, uint256 p1, uint256 p2, string memory p3) internal pure {}
    function log(bool p0, uint256 p1, uint256 p2, bool p3) internal pure {}
    function log(bool p0, uint256 p1, uint256 p2, address p3) internal pure {}
    function log(bool p0, uint256 p1, string memory p2, uint256 p3) internal pure {}
    function log(bool p0, uint256 p1, string memory p2, string memory p3) internal pure {}
    function log(bool p0, uint256 p1, string memory p2, bool p3) internal pure {}
    function log(bool p0, uint256 p1, string memory p2, address p3) internal pure {}
    function log(bool p0, uint256 p1, bool p2, uint256 p3) internal pure {}
    function log(bool p0, uint256 p1, bool p2, string memory p3) internal pure {}
    function log(bool p0, uint256 p1, bool p2, bool p3) internal pure {}
    function log(bool p0, uint256 p1, bool p2, address p3) internal pure {}
    function log(bool p0, uint256 p1, address p2, uint256 p3) internal pure {}
    function log(bool p0, uint256 p1, address p2, string memory p3) internal pure {}
    function log(bool p0, uint256 p1, address p2, bool p3) internal pure {}
    function log(bool p0, uint256 p1, address p2, address p3) internal pure {}
    function log(bool p0, string memory p1, uint256 p2, uint256 p3) internal pure {}
    function log(bool p0, string memory p1, uint256 p2, string memory p3) internal pure {}
    function log(bool p0, string memory p1, uint256 p2, bool p3) internal pure {}
    function log(bool p0, string memory p1, uint256 p2, address p3) internal pure {}
    function log(bool p0, string memory p1, string memory p2, uint256 p3) internal pure {}
    function log(bool p0, string memory p1, string memory p2, string memory p3) internal pure {}
    function log(bool p0, string memory p1, string memory p2, bool p3) internal pure {}
    function log(bool p0, string memory p1, string memory p2, address p3) internal pure {}
    function log(bool p0, string memory p1, bool p2, uint256 p3) internal pure {}
    function log(bool p0, string memory p1, bool p2, string memory p3) internal pure {}
    function log(bool p0, string memory p1, bool p2, bool p3) internal pure {}
    function log(bool p0, string memory p1, bool p2, address p3) internal pure {}
    function log(bool p0, string memory p1, address p2, uint256 p3) internal pure {}
    function log(bool p0, string memory p1, address p2, string memory p3) internal pure {}
    function log(bool p0, string memory p1, address p2, bool p3) internal pure {}
    function log(bool p0, string memory p1, address p2, address p3) internal pure {}
    function log(bool p0, bool p1, uint256 p2, uint256 p3) internal pure {}
    function log(bool p0, bool p1, uint256 p2, string memory p3) internal pure {}
    function log(bool p0, bool p1, uint256 p2, bool p3) internal pure {}
    function log(bool p0, bool p1, uint256 p2, address p3) internal pure {}
    function log(bool p0, bool p1, string memory p2, uint256 p3) internal pure {}
    function log(bool p0, bool p1, string memory p2, string memory p3) internal pure {}
    function log(bool p0, bool p1, string memory p2, bool p3) internal pure {}
    function log(bool p0, bool p1, string memory p2, address p3) internal pure {}
    function log(bool p0, bool p1, bool p2, uint256 p3) internal pure {}
    function log(bool p0, bool p1, bool p2, string memory p3) internal pure {}
    function log(bool p0, bool p1, bool p2, bool p3) internal pure {}
    function log(bool p0, bool p1, bool p2, address p3) internal pure {}
    function log(bool p0, bool p1, address p2, uint256 p3) internal pure {}
    function log(bool p0, bool p1, address p2, string memory p3) internal pure {}
    function log(bool p0, bool p1, address p2, bool p3) internal pure {}
    function log(bool p0, bool p1, address p2, address p3) internal pure {}
    function log(bool p0, address p1, uint256 p2, uint256 p3) internal pure {}
    function log(bool p0, address p1, uint256 p2, string memory p3) internal pure {}
    function log(bool p0, address p1, uint256 p2, bool p3) internal pure {}
    function log(bool p0, address p1, uint256 p2, address p3) internal pure {}
    function log(bool p0, address p1, string memory p2, uint256 p3) internal pure {}
    function log(bool p0, address p1, string memory p2, string memory p3) internal pure {}
    function log(bool p0, address p1, string memory p2, bool p3) internal pure {}
    function log(bool p0, address p1, string memory p2, address p3) internal pure {}
    function log(bool p0, address p1, bool p2, uint256 p3) internal pure {}
    function log(bool p0, address p1, bool p2, string memory p3) internal pure {}
    function log(bool p0, address p1, bool p2, bool p3) internal pure {}
    function log(bool p0, address p1, bool p2, address p3) internal pure {}
    function log(bool p0, address p1, address p2, uint256 p3) internal pure {}
    function log(bool p0, address p1, address p2, string memory p3) internal pure {}
    function log(bool p0, address p1, address p2, bool p3) internal pure {}
    function log(bool p0, address p1, address p2, address p3) internal pure {}
    function log(address p0, uint256 p1, uint256 p2, uint256 p3) internal pure {}
    function log(address p0, uint256 p1, uint256 p2, string memory p3) internal pure {}
    function log(address p0, uint256 p1, uint256 p2, bool p3) internal pure {}
    function log(address p0, uint256 p1, uint256 p2, address p3) internal pure {}
    function log(address p0, uint256 p1, string memory p2, uint256 p3) internal pure {}
    function log(address p0, uint256 p1, string memory p2, string memory p3) internal pure {}
    function log(address p0, uint256 p1, string memory p2, bool p3) internal pure {}
    function log(address p0, uint256 p1, string memory p2, address p3) internal pure {}
    function log(address p0, uint256 p1, bool p2, uint256 p3) internal pure {}
    function log(address p0, uint256 p1, bool p2, string memory p3) internal pure {}
    function log(address p0, uint256 p1, bool p2, bool p3) internal pure {}
    function log(address p0, uint256 p1, bool p2, address p3) internal pure {}
    function log(address p0, uint256 p1, address p2, uint256 p3) internal pure {}
    function log(address p0, uint256 p1, address p2, string memory p3) internal pure {}
    function log(address p0, uint256 p1, address p2, bool p3) internal pure {}
    function log(address p0, uint256 p1, address p2, address p3) internal pure {}
    function log(address p0, string memory p1, uint256 p2, uint256 p3) internal pure {}
    function log(address p0, string memory p1, uint256 p2, string memory p3) internal pure {}
    function log(address p0, string memory p1, uint256 p2, bool p3) internal pure {}
    function log(address p0, string memory p1, uint256 p2, address p3) internal pure {}
    function log(address p0, string memory p1, string memory p2, uint256 p3) internal pure {}
    function log(address p0, string memory p1, string memory p2, string memory p3) internal pure {}
    function log(address p0, string memory p1, string memory p2, bool p3) internal pure {}
    function log(address p0, string memory p1, string memory p2, address p3) internal pure {}
    function log(address p0, string memory p1, bool p2, uint256 p3) internal pure {}
    function log(address p0, string memory p1, bool p2, string memory p3) internal pure {}
    function log(address p0, string memory p1, bool p2, bool p3) internal pure {}
    function log(address p0, string memory p1, bool p2, address p3) internal pure {}
    function log(address p0, string memory p1, address p2, uint256 p3) internal pure {}
    function log(address p0, string memory p1, address p2, string memory p3) internal pure {}
    function log(address p0, string memory p1, address p2, bool p3) internal pure {}
    function log(address p0, string memory p1, address p2, address p3) internal pure {}
    function log(address p0, bool p1, uint256 p2, uint256 p3) internal pure {}
    function log(address p0, bool p1, uint256 p2, string memory p3) internal pure {}
    function log(address p0, bool p1, uint256 p2, bool p3) internal pure {}
    function log(address p0, bool p1, uint256 p2, address p3) internal pure {}
    function log(address p0, bool p1, string memory p2, uint256 p3) internal pure {}
    function log(address p0, bool p1, string memory p2, string memory p3) internal pure {}
    function log(address p0, bool p1, string memory p2, bool p3) internal pure {}
    function log(address p0, bool p1, string memory p2, address p3) internal pure {}
    function log(address p0, bool p1, bool p2, uint256 p3) internal pure {}
    function log(address p0, bool p1, bool p2, string memory p3) internal pure {}
    function log(address p0, bool p1, bool p2, bool p3) internal pure {}
    function log(address p0, bool p1, bool p2, address p3) internal pure {}
    function log(address p0, bool p1, address p2, uint256 p3) internal pure {}
    function log(address p0, bool p1, address p2, string memory p3) internal pure {}
    function log(address p0, bool p1, address p2, bool p3) internal pure {}
    function log(address p0, bool p1, address p2, address p3) internal pure {}
    function log(address p0, address p1, uint256 p2, uint256 p3) internal pure {}
    function log(address p0, address p1, uint256 p2, string memory p3) internal pure {}
    function log(address p0, address p1, uint256 p2, bool p3) internal pure {}
    function log(address p0, address p1, uint256 p2, address p3) internal pure {}
    function log(address p0, address p1, string memory p2, uint256 p3) internal pure {}
    function log(address p0, address p1, string memory p2, string memory p3) internal pure {}
    function log(address p0, address p1, string memory p2, bool p3) internal pure {}
    function log(address p0, address p1, string memory p2, address p3) internal pure {}
    function log(address p0, address p1, bool p2, uint256 p3) internal pure {}
    function log(address p0, address p1, bool p2, string memory p3) internal pure {}
    function log(address p0, address p1, bool p2, bool p3) internal pure {}
    function log(address p0, address p1, bool p2, address p3) internal pure {}
    function log(address p0, address p1, address p2, uint256 p3) internal pure {}
    function log(address p0, address p1, address p2, string memory p3) internal pure {}
    function log(address p0, address p1, address p2, bool p3) internal pure {}
    function log(address p0, address p1, address p2, address p3) internal pure {}
    function log() internal pure {}
    function log(int256 p0) internal pure {}
    function logInt(int256 p0) internal pure {}
    function logUint(uint256 p0) internal pure {}
    function logString(string memory p0) internal pure {}
    function logBool(bool p0) internal pure {}
    function logAddress(address p0) internal pure {}
    function logBytes(bytes memory p0) internal pure {}
    function logBytes32(bytes32 p0) internal pure {}
}
