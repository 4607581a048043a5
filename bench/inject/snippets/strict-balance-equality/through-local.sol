// @class strict-balance-equality
// @shape balance copied to a local, the local compared with `==` in an `if`
// @members
    uint256 internal goal__ID__ = 10 ether;
    address internal fundraiser__ID__ = msg.sender;
    bool internal reached__ID__;

    function contribute__ID__() public payable {
        uint256 bal = {{THISBAL}}; // @bug:cmp
        if (bal == goal__ID__) { // @bug:cmp
            reached__ID__ = true;
        }
    }

    function release__ID__() public {
        {{REQ(reached__ID__)}}
        {{XFER({{PAY(fundraiser__ID__)}}, {{THISBAL}})}}
    }
