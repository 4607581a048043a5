// @class unsafe-downcast
// @shape state written by the caller in one function, narrowed with `uint32(...)` in another
// @members
    mapping(address => uint256) internal requestedDays__ID__;
    mapping(address => uint32) internal lockDays__ID__;

    function request__ID__(uint256 numDays) public {
        requestedDays__ID__[msg.sender] = numDays;
    }

    function confirm__ID__() public {
        lockDays__ID__[msg.sender] = uint32(requestedDays__ID__[msg.sender]); // @bug
    }
