// @class ecrecover-zero
// @shape internal helper returning `ecrecover(...) == guardian`, guardian unset by default
// @members
    address internal guardian__ID__;
    address internal guardianAdmin__ID__ = msg.sender;
    mapping(bytes32 => bool) internal approved__ID__;

    function setGuardian__ID__(address g) public {
        {{REQ(msg.sender == guardianAdmin__ID__)}}
        guardian__ID__ = g;
    }

    function _isGuardian__ID__(bytes32 h, uint8 v, bytes32 r, bytes32 s) internal {{VIEW}} returns (bool) {
        return ecrecover(h, v, r, s) == guardian__ID__; // @bug
    }

    function approve__ID__(bytes32 h, uint8 v, bytes32 r, bytes32 s) public {
        {{REQ(!approved__ID__[h] && _isGuardian__ID__(h, v, r, s))}}
        approved__ID__[h] = true;
    }
