// @class strict-balance-equality
// @shape conditional expression on `balance == cap` deciding whether the pool pays out
// @members
    uint256 internal constant CAP__ID__ = 3 ether;
    mapping(address => uint256) internal poolShare__ID__;

    function fundPool__ID__() public payable {
        poolShare__ID__[msg.sender] += msg.value;
    }

    function cashPool__ID__() public {
        uint256 amount = {{THISBAL}} == CAP__ID__ ? poolShare__ID__[msg.sender] : 0; // @bug
        poolShare__ID__[msg.sender] = 0;
        {{XFER({{SENDER}}, amount)}}
    }
