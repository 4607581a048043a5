// @class tx-origin-auth
// @shape internal helper returning `tx.origin == manager`, required by a public withdrawal
// @members
    address internal manager__ID__ = msg.sender;

    function _isManager__ID__() internal {{VIEW}} returns (bool) {
        return tx.origin == manager__ID__; // @bug:auth
    }

    function withdrawAll__ID__() public {
        {{REQ(_isManager__ID__())}} // @bug:auth
        {{XFER({{SENDER}}, {{THISBAL}})}}
    }
