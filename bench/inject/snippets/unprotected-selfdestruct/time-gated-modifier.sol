// @class unprotected-selfdestruct
// @shape `selfdestruct` behind a modifier that checks only the time, not the caller
// @members
    address internal recipient__ID__ = msg.sender;
    uint256 internal endTime__ID__;

    modifier afterEnd__ID__() {
        {{REQ(block.timestamp > endTime__ID__)}}
        _;
    }

    function finalize__ID__() public afterEnd__ID__ { // @bug:k
        selfdestruct({{PAY(recipient__ID__)}}); // @bug:k
    }
