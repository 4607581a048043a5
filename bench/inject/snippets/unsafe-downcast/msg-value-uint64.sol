// @class unsafe-downcast
// @shape `uint64(msg.value)` recorded as the deposit (18.4 ether and more wrap)
// @members
    mapping(address => uint64) internal deposit64__ID__;

    function depositSmall__ID__() public payable {
        deposit64__ID__[msg.sender] = uint64(msg.value); // @bug
    }

    function withdrawSmall__ID__() public {
        uint256 amount = deposit64__ID__[msg.sender];
        deposit64__ID__[msg.sender] = 0;
        {{XFER({{SENDER}}, amount)}}
    }
