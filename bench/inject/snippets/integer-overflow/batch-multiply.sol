// @class integer-overflow
// @shape batch transfer: `receivers.length * value` wraps, the balance check uses the wrapped total
// @when <0.8.0
// @members
    mapping(address => uint256) internal held__ID__;

    function batchTransfer__ID__(address[] memory receivers, uint256 value) public {
        uint256 total = receivers.length * value; // @bug
        {{REQ(held__ID__[msg.sender] >= total)}}
        held__ID__[msg.sender] = held__ID__[msg.sender] - total;
        for (uint256 i = 0; i < receivers.length; i++) {
            held__ID__[receivers[i]] = held__ID__[receivers[i]] + value; // @bug
        }
    }
