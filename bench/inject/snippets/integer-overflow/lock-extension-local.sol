// @class integer-overflow
// @shape lock time extended through a local sum (`until = lock + extra`) that can wrap to the past
// @when <0.8.0
// @members
    mapping(address => uint256) internal lockUntil__ID__;
    mapping(address => uint256) internal locked__ID__;

    function lockFunds__ID__() public payable {
        locked__ID__[msg.sender] += msg.value;
        lockUntil__ID__[msg.sender] = {{NOW}} + 1 weeks;
    }

    function extendLock__ID__(uint256 extra) public {
        uint256 until = lockUntil__ID__[msg.sender] + extra; // @bug
        lockUntil__ID__[msg.sender] = until;
    }

    function unlock__ID__() public {
        {{REQ({{NOW}} > lockUntil__ID__[msg.sender])}}
        uint256 amount = locked__ID__[msg.sender];
        locked__ID__[msg.sender] = 0;
        {{XFER({{SENDER}}, amount)}}
    }
