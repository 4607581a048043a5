// @class weak-randomness
// @shape block number stored as a seed in state, hashed into the winning number by another function
// @members
    uint256 internal seed__ID__;
    uint256 internal ticketCount__ID__;

    function buyTicket__ID__() public payable {
        {{REQ(msg.value == 0.05 ether)}}
        ticketCount__ID__ += 1;
        seed__ID__ = block.number; // @bug
    }

    function claim__ID__(uint256 guess) public {
        {{REQ(guess == uint256({{KEC(seed__ID__, ticketCount__ID__)}}) % 100)}}
        {{XFER({{SENDER}}, {{THISBAL}})}}
    }
