// @class weak-randomness
// @shape the previous block hash compared for equality with the caller's guess
// @members
    function guess__ID__(bytes32 answer) public payable {
        {{REQ(msg.value == 1 ether)}}
        if ({{BHASH(block.number - 1)}} == answer) { // @bug
            {{XFER({{SENDER}}, 2 ether)}}
        }
    }
