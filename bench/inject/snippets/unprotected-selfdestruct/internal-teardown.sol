// @class unprotected-selfdestruct
// @shape public function reaching `selfdestruct` through an internal helper
// @members
    address internal beneficiary__ID__ = msg.sender;

    function _teardown__ID__() internal {
        selfdestruct({{PAY(beneficiary__ID__)}}); // @bug:k
    }

    function shutdown__ID__() public { // @bug:k
        _teardown__ID__();
    }
