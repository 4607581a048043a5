// @class unchecked-low-level-call
// @shape legacy `to.call.value(v);` that only prepares the call and never makes it (before 0.5)
// @when <0.5.0
// @members
    mapping(address => uint256) internal refundable__ID__;

    function pay__ID__() public payable {
        refundable__ID__[msg.sender] += msg.value;
    }

    function refund__ID__() public {
        uint256 amount = refundable__ID__[msg.sender];
        refundable__ID__[msg.sender] = 0;
        msg.sender.call.value(amount); // @bug
    }
