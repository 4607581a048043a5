// @class weak-randomness
// @shape block values summed into a local, the local reduced with `%`
// @members
    function lucky__ID__() public payable {
        {{REQ(msg.value == 0.1 ether)}}
        uint256 mix = {{DIFF}} + block.gaslimit + block.number; // @bug:seed
        if (mix % 10 == 7) { // @bug:seed
            {{XFER({{SENDER}}, {{THISBAL}})}}
        }
    }
