// @class tx-order-dependence
// @shape odds-and-evens: each player's number stored in a public array in clear, the second player sees the first
// @members
    struct Play__ID__ {
        address player;
        uint256 number;
    }
    Play__ID__[2] public plays__ID__;
    uint256 internal playCount__ID__;

    function play__ID__(uint256 number) public payable { // @bug:move
        {{REQ(msg.value == 1 ether)}}
        plays__ID__[playCount__ID__] = Play__ID__(msg.sender, number); // @bug:move
        playCount__ID__ += 1;
        if (playCount__ID__ == 2) {
            if ((plays__ID__[0].number + plays__ID__[1].number) % 2 == 0) {
                {{XFER({{PAY(plays__ID__[0].player)}}, 1.8 ether)}}
            } else {
                {{XFER({{PAY(plays__ID__[1].player)}}, 1.8 ether)}}
            }
            delete plays__ID__;
            playCount__ID__ = 0;
        }
    }
