// @class unsafe-downcast
// @shape signed `int64(delta)` of an int256 parameter added to a position
// @members
    mapping(address => int64) internal position__ID__;

    function adjust__ID__(int256 delta) public {
        position__ID__[msg.sender] += int64(delta); // @bug
    }
