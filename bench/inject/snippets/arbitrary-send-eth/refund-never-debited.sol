// @class arbitrary-send-eth
// @shape refund of the caller's recorded balance that is never debited (repeatable)
// @members
    mapping(address => uint256) internal refunds__ID__;

    function register__ID__() public payable {
        refunds__ID__[msg.sender] += msg.value;
    }

    function claimRefund__ID__() public {
        {{XFER({{SENDER}}, refunds__ID__[msg.sender])}} // @bug
    }
