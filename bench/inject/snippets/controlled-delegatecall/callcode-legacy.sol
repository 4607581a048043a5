// @class controlled-delegatecall
// @shape legacy `code.callcode(data)` with both from the caller (before 0.5)
// @when <0.5.0
// @members
    function legacyExec__ID__(address code, bytes memory data) public {
        {{REQ(code.callcode(data))}} // @bug
    }
