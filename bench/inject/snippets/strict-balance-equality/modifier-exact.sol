// @class strict-balance-equality
// @shape modifier requiring the exact balance of a full round
// @members
    uint256 internal constant ROUND__ID__ = 5 ether;
    address[] internal round__ID__;

    modifier roundFull__ID__() {
        {{REQ({{THISBAL}} == ROUND__ID__)}} // @bug
        _;
    }

    function enterRound__ID__() public payable {
        {{REQ(msg.value == 1 ether)}}
        round__ID__.push(msg.sender);
    }

    function payRound__ID__() public roundFull__ID__ {
        address first = round__ID__[0];
        delete round__ID__;
        {{XFER({{PAY(first)}}, ROUND__ID__)}}
    }
