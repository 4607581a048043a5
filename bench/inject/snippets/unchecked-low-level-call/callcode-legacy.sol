// @class unchecked-low-level-call
// @shape unchecked legacy `callcode` to an owner-set library (before 0.5)
// @when <0.5.0
// @members
    address internal mathLib__ID__;
    address internal libAdmin__ID__ = msg.sender;

    function setLib__ID__(address l) public {
        {{REQ(msg.sender == libAdmin__ID__)}}
        mathLib__ID__ = l;
    }

    function recompute__ID__() public {
        {{REQ(msg.sender == libAdmin__ID__)}}
        mathLib__ID__.callcode({{SIG("recompute()")}}); // @bug
    }
