// @class controlled-delegatecall
// @shape caller-chosen target, call data encoded by the contract (`setup(address)` with msg.sender)
// @members
    function setupWith__ID__(address module) public {
// @if <0.4.22
        {{REQ(module.delegatecall(bytes4({{KEC("setup(address)")}}), msg.sender))}} // @bug
// @elif <0.5.0
        {{REQ(module.delegatecall(abi.encodeWithSignature("setup(address)", msg.sender)))}} // @bug
// @else
        (bool ok, ) = module.delegatecall(abi.encodeWithSignature("setup(address)", msg.sender)); // @bug
        require(ok);
// @endif
    }
