// @class weak-randomness
// @shape internal function hashing difficulty, coinbase and the block number into a number; caller uses it for a coin flip
// @members
    function _entropy__ID__() internal {{VIEW}} returns (uint256) {
        return uint256({{KEC({{DIFF}}, block.coinbase, block.number)}}); // @bug
    }

    function spin__ID__() public payable {
        {{REQ(msg.value > 0 && msg.value <= 1 ether)}}
        if (_entropy__ID__() % 2 == 0) {
            {{XFER({{SENDER}}, msg.value * 2)}}
        }
    }
