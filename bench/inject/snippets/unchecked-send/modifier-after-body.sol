// @class unchecked-send
// @shape unchecked `send` of a fee in a modifier, after `_`
// @members
    {{ADDRP}} internal feeCollector__ID__ = {{SENDER}};
    mapping(address => uint256) internal orders__ID__;

    modifier takesFee__ID__() {
        _;
        feeCollector__ID__.send(msg.value / 100); // @bug
    }

    function placeOrder__ID__() public payable takesFee__ID__ {
        orders__ID__[msg.sender] += msg.value - msg.value / 100;
    }
