// @class unchecked-send
// @shape unchecked `send` inside an internal helper used by a public withdrawal
// @members
    mapping(address => uint256) internal savings__ID__;

    function _sendTo__ID__({{ADDRP}} to, uint256 amount) internal {
        to.send(amount); // @bug
    }

    function save__ID__() public payable {
        savings__ID__[msg.sender] += msg.value;
    }

    function takeSavings__ID__() public {
        uint256 amount = savings__ID__[msg.sender];
        savings__ID__[msg.sender] = 0;
        _sendTo__ID__({{SENDER}}, amount);
    }
