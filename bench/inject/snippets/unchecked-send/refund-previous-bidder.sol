// @class unchecked-send
// @shape auction refunds the previous leader with a bare `send` statement (direct)
// @members
    address internal leader__ID__;
    uint256 internal topBid__ID__;

    function bid__ID__() public payable {
        {{REQ(msg.value > topBid__ID__)}}
        if (leader__ID__ != address(0)) {
            {{PAY(leader__ID__)}}.send(topBid__ID__); // @bug
        }
        leader__ID__ = msg.sender;
        topBid__ID__ = msg.value;
    }
