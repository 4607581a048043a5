// @class tx-order-dependence
// @shape buy-back price that an owner-only setter changes; sellers are paid that price
// @members
    address internal desk__ID__ = msg.sender;
    uint256 internal buybackPrice__ID__;
    mapping(address => uint256) internal coupons__ID__;

    function setBuybackPrice__ID__(uint256 p) public {
        {{REQ(msg.sender == desk__ID__)}}
        buybackPrice__ID__ = p;
    }

    function buyCoupon__ID__() public payable {
        {{REQ(msg.value == 1 ether)}}
        coupons__ID__[msg.sender] += 1;
    }

    function sellCoupon__ID__() public {
        {{REQ(coupons__ID__[msg.sender] > 0)}}
        coupons__ID__[msg.sender] -= 1;
        {{XFER({{SENDER}}, buybackPrice__ID__)}} // @bug
    }
