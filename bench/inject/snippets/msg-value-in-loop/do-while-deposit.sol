// @class msg-value-in-loop
// @shape msg.value recorded as a deposit once per slot in a do-while loop
// @when >=0.4.9
// @members
    mapping(uint256 => uint256) internal slotDeposit__ID__;
    mapping(uint256 => address) internal slotOwner__ID__;

    function reserveSlots__ID__(uint256 first, uint256 n) public payable {
        uint256 k = 0;
        do {
            slotOwner__ID__[first + k] = msg.sender;
            slotDeposit__ID__[first + k] = msg.value; // @bug
            k++;
        } while (k < n);
    }
