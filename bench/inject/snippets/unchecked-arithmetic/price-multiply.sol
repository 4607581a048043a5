// @class unchecked-arithmetic
// @shape `count * price` wrapped inside `unchecked`, then compared with msg.value
// @when >=0.8.0
// @members
    mapping(address => uint256) internal seats__ID__;
    uint256 internal seatPrice__ID__ = 1e15;

    function buySeats__ID__(uint256 count) public payable {
        uint256 cost;
        unchecked {
            cost = count * seatPrice__ID__; // @bug
        }
        require(msg.value >= cost);
        seats__ID__[msg.sender] += count;
    }
