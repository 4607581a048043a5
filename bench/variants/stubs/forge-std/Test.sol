// SPDX-License-Identifier: MIT
// Permissive stand-in for forge-std's Test with the cheatcodes the DeFiVulnLabs tests use,
// for bench/variants/check_compile.js only (the npm registry has no current forge-std).
pragma solidity >=0.7.0 <0.9.0;

import "./console.sol";
import "./console2.sol";

interface Vm {
    function addr(uint256) external pure returns (address);
    function prank(address) external;
    function prank(address, address) external;
    function deal(address, uint256) external;
    function startPrank(address) external;
    function startPrank(address, address) external;
    function stopPrank() external;
    function expectRevert() external;
    function expectRevert(bytes calldata) external;
    function expectRevert(bytes4) external;
    function createSelectFork(string calldata) external returns (uint256);
    function createSelectFork(string calldata, uint256) external returns (uint256);
    function createFork(string calldata) external returns (uint256);
    function createFork(string calldata, uint256) external returns (uint256);
    function selectFork(uint256) external;
    function load(address, bytes32) external view returns (bytes32);
    function store(address, bytes32, bytes32) external;
    function sign(uint256, bytes32) external pure returns (uint8, bytes32, bytes32);
    function label(address, string calldata) external;
    function etch(address, bytes calldata) external;
    function warp(uint256) external;
    function roll(uint256) external;
    function fee(uint256) external;
    function txGasPrice(uint256) external;
    function expectEmit(bool, bool, bool, bool) external;
    function assume(bool) external pure;
    function envUint(string calldata) external view returns (uint256);
    function rpcUrl(string calldata) external view returns (string memory);
}

library stdError {
    bytes public constant assertionError = abi.encodeWithSignature("Panic(uint256)", 0x01);
    bytes public constant arithmeticError = abi.encodeWithSignature("Panic(uint256)", 0x11);
    bytes public constant divisionError = abi.encodeWithSignature("Panic(uint256)", 0x12);
    bytes public constant enumConversionError = abi.encodeWithSignature("Panic(uint256)", 0x21);
    bytes public constant indexOOBError = abi.encodeWithSignature("Panic(uint256)", 0x32);
}

abstract contract Test {
    Vm public constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    bool public IS_TEST = true;

    event log(string);
    event logs(bytes);
    event log_address(address);
    event log_bytes32(bytes32);
    event log_int(int256);
    event log_uint(uint256);
    event log_bytes(bytes);
    event log_string(string);
    event log_named_address(string key, address val);
    event log_named_bytes32(string key, bytes32 val);
    event log_named_decimal_int(string key, int256 val, uint256 decimals);
    event log_named_decimal_uint(string key, uint256 val, uint256 decimals);
    event log_named_int(string key, int256 val);
    event log_named_uint(string key, uint256 val);
    event log_named_bytes(string key, bytes val);
    event log_named_string(string key, string val);

    function fail() internal virtual {}
    function assertTrue(bool) internal {}
    function assertTrue(bool, string memory) internal {}
    function assertFalse(bool) internal {}
    function assertFalse(bool, string memory) internal {}
    function assertEq(uint256, uint256) internal {}
    function assertEq(uint256, uint256, string memory) internal {}
    function assertEq(int256, int256) internal {}
    function assertEq(int256, int256, string memory) internal {}
    function assertEq(address, address) internal {}
    function assertEq(address, address, string memory) internal {}
    function assertEq(bool, bool) internal {}
    function assertEq(bool, bool, string memory) internal {}
    function assertEq(bytes32, bytes32) internal {}
    function assertEq(bytes32, bytes32, string memory) internal {}
    function assertEq(string memory, string memory) internal {}
    function assertEq(bytes memory, bytes memory) internal {}
    function assertGt(uint256, uint256) internal {}
    function assertGe(uint256, uint256) internal {}
    function assertLt(uint256, uint256) internal {}
    function assertLe(uint256, uint256) internal {}
    function assertApproxEqAbs(uint256, uint256, uint256) internal {}
    function deal(address to, uint256 give) internal { vm.deal(to, give); }
    function deal(address, address, uint256) internal {}
    function deal(address, address, uint256, bool) internal {}
    function hoax(address who) internal { vm.prank(who); }
    function hoax(address who, uint256 give) internal { vm.deal(who, give); vm.prank(who); }
    function startHoax(address who) internal { vm.startPrank(who); }
    function startHoax(address who, uint256 give) internal { vm.deal(who, give); vm.startPrank(who); }
    function makeAddr(string memory name) internal returns (address) { return vm.addr(uint256(keccak256(bytes(name)))); }
    function bound(uint256 x, uint256, uint256) internal pure returns (uint256) { return x; }
    function skip(uint256 t) internal { vm.warp(block.timestamp + t); }
    function rewind(uint256 t) internal { vm.warp(block.timestamp - t); }
}
