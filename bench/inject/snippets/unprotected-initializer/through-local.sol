// @class unprotected-initializer
// @shape caller copied to a local, the local stored as operator
// @members
    address internal operator__ID__;
    bool internal halted__ID__;

    function halt__ID__() public {
        {{REQ(msg.sender == operator__ID__)}}
        halted__ID__ = true;
    }

    function claimOperator__ID__() public { // @bug:w
        address who = msg.sender;
        operator__ID__ = who; // @bug:w
    }
