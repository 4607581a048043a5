// @class msg-value-in-loop
// @shape `credit[buyers[i]] += msg.value` in a for loop (direct)
// @members
    mapping(address => uint256) internal giftCredit__ID__;

    function buyFor__ID__(address[] memory buyers) public payable {
        for (uint256 i = 0; i < buyers.length; i++) {
            giftCredit__ID__[buyers[i]] += msg.value; // @bug
        }
    }

    function redeemGift__ID__() public {
        uint256 amount = giftCredit__ID__[msg.sender];
        giftCredit__ID__[msg.sender] = 0;
        {{XFER({{SENDER}}, amount)}}
    }
