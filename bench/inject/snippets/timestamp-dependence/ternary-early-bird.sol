// @class timestamp-dependence
// @shape conditional expression on the block time choosing the price, the price then decides the purchase
// @members
    uint256 internal earlyEnd__ID__;
    address internal host__ID__ = msg.sender;
    mapping(address => uint256) internal tickets__ID__;

    function setEarlyEnd__ID__(uint256 t) public {
        {{REQ(msg.sender == host__ID__)}}
        earlyEnd__ID__ = t;
    }

    function buyTicket__ID__() public payable {
        uint256 price = block.timestamp < earlyEnd__ID__ ? 0.05 ether : 0.1 ether; // @bug:price
        {{REQ(msg.value >= price)}} // @bug:price
        tickets__ID__[msg.sender] += 1;
    }
