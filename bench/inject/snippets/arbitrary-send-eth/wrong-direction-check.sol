// @class arbitrary-send-eth
// @shape withdrawal whose balance check points the wrong way (`amount >= balance`)
// @members
    mapping(address => uint256) internal vault__ID__;

    function put__ID__() public payable {
        vault__ID__[msg.sender] += msg.value;
    }

    function take__ID__(uint256 amount) public {
        {{REQ(amount >= vault__ID__[msg.sender])}} // @bug
        {{XFER({{SENDER}}, amount)}}
        vault__ID__[msg.sender] = 0;
    }
