// @class timestamp-dependence
// @shape modifier `require(block.timestamp <= saleEnd)` on a purchase
// @members
    address internal seller__ID__ = msg.sender;
    uint256 internal saleEnd__ID__;
    mapping(address => uint256) internal sold__ID__;

    modifier duringSale__ID__() {
        {{REQ(block.timestamp <= saleEnd__ID__)}} // @bug
        _;
    }

    function setSaleEnd__ID__(uint256 end) public {
        {{REQ(msg.sender == seller__ID__)}}
        saleEnd__ID__ = end;
    }

    function buyTokens__ID__() public payable duringSale__ID__ {
        sold__ID__[msg.sender] += msg.value;
    }
