// @class encode-packed-collision
// @shape `keccak256(abi.encodePacked(name, role))` of two caller strings checked against a signed grant (direct; multi-argument `keccak256(a, b)` before 0.4.22)
// @members
    address internal grantSigner__ID__ = msg.sender;
    mapping(address => bytes32) internal grantOf__ID__;

    function redeemGrant__ID__(string memory name, string memory role, uint8 v, bytes32 r, bytes32 s) public {
// @if <0.4.22
        bytes32 h = {{KEC(name, role)}}; // @bug
// @else
        bytes32 h = keccak256(abi.encodePacked(name, role)); // @bug
// @endif
        {{REQ(ecrecover(h, v, r, s) == grantSigner__ID__)}}
        grantOf__ID__[msg.sender] = h;
    }
