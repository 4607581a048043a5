// @class weak-randomness
// @shape `uint(keccak256(block.timestamp, msg.sender)) % 6` deciding a payout (direct)
// @members
    function roll__ID__() public payable {
        {{REQ(msg.value == 0.01 ether)}}
        uint256 r = uint256({{KEC(block.timestamp, msg.sender)}}) % 6; // @bug
        if (r == 0) {
            {{XFER({{SENDER}}, {{THISBAL}})}}
        }
    }
