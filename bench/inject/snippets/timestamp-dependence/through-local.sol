// @class timestamp-dependence
// @shape time copied to a local, the local compared with the deadline in an `if`
// @members
    address internal campaignOwner__ID__ = msg.sender;
    uint256 internal deadline__ID__;
    mapping(address => uint256) internal pledged__ID__;

    function setDeadline__ID__(uint256 d) public {
        {{REQ(msg.sender == campaignOwner__ID__)}}
        deadline__ID__ = d;
    }

    function pledge__ID__() public payable {
        pledged__ID__[msg.sender] += msg.value;
    }

    function refundPledge__ID__() public {
        uint256 t = {{NOW}}; // @bug:cmp
        if (t > deadline__ID__) { // @bug:cmp
            uint256 amount = pledged__ID__[msg.sender];
            pledged__ID__[msg.sender] = 0;
            {{XFER({{SENDER}}, amount)}}
        }
    }
