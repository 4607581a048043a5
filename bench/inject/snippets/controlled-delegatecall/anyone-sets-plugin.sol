// @class controlled-delegatecall
// @shape delegatecall to a state variable that any caller can set
// @members
    address internal plugin__ID__;

    function setPlugin__ID__(address p) public {
        plugin__ID__ = p;
    }

    function runPlugin__ID__() public {
// @if <0.5.0
        {{REQ(plugin__ID__.delegatecall({{SIG("run()")}}))}} // @bug
// @else
        (bool ok, ) = plugin__ID__.delegatecall({{SIG("run()")}}); // @bug
        require(ok);
// @endif
    }
