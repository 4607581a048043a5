// @class weak-randomness
// @shape `now % 2` / `block.timestamp % 2` as a coin flip
// @members
    mapping(address => uint256) internal wins__ID__;

    function flip__ID__() public payable {
        {{REQ(msg.value == 0.01 ether)}}
        if ({{NOW}} % 2 == 0) { // @bug
            wins__ID__[msg.sender] += 1;
            {{XFER({{SENDER}}, 0.02 ether)}}
        }
    }
