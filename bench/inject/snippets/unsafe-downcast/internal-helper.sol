// @class unsafe-downcast
// @shape narrowing `uint64(x)` inside an internal helper fed by a public parameter
// @members
    mapping(address => uint64) internal expiries__ID__;

    function _toUint64__ID__(uint256 x) internal {{PURE}} returns (uint64) {
        return uint64(x); // @bug
    }

    function setExpiry__ID__(uint256 expiry) public {
        expiries__ID__[msg.sender] = _toUint64__ID__(expiry);
    }
