// @class controlled-delegatecall
// @shape `callee.delegatecall(data)` with both from the caller (direct)
// @members
    function forward__ID__(address callee, bytes memory data) public {
// @if <0.5.0
        {{REQ(callee.delegatecall(data))}} // @bug
// @else
        (bool ok, ) = callee.delegatecall(data); // @bug
        require(ok);
// @endif
    }
