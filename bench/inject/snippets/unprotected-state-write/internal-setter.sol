// @class unprotected-state-write
// @shape public function writing the controller through an internal setter; the check is inline `require(msg.sender == controller)`
// @members
    address internal controller__ID__ = msg.sender;
    bool internal paused__ID__;

    function pause__ID__() public {
        {{REQ(msg.sender == controller__ID__)}}
        paused__ID__ = true;
    }

    function _setController__ID__(address c) internal {
        controller__ID__ = c; // @bug:w
    }

    function updateController__ID__(address c) public { // @bug:w
        _setController__ID__(c);
    }
