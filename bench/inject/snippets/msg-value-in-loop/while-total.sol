// @class msg-value-in-loop
// @shape `total += msg.value` in a while loop over the requested units
// @members
    mapping(address => uint256) internal unitsPaid__ID__;
    uint256 internal raised__ID__;

    function buyUnits__ID__(uint256 count) public payable {
        uint256 i = 0;
        while (i < count) {
            raised__ID__ += msg.value; // @bug
            unitsPaid__ID__[msg.sender] += 1;
            i++;
        }
    }
