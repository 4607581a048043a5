// @class encode-packed-collision
// @shape `abi.encodePacked(a, b)` of two caller byte strings used directly as a mapping key
// @when >=0.4.22
// @members
    mapping(bytes => address) internal claimedBy__ID__;

    function claimPair__ID__(bytes memory left, bytes memory right) public {
        {{REQ(claimedBy__ID__[abi.encodePacked(left, right)] == address(0))}} // @bug
        claimedBy__ID__[abi.encodePacked(left, right)] = msg.sender; // @bug
    }
