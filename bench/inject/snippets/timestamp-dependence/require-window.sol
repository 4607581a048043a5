// @class timestamp-dependence
// @shape `require(now >= opensAt)` gating entries (direct; `now` where it exists)
// @members
    address internal organizer__ID__ = msg.sender;
    uint256 internal opensAt__ID__;
    mapping(address => uint256) internal entries__ID__;

    function schedule__ID__(uint256 at) public {
        {{REQ(msg.sender == organizer__ID__)}}
        opensAt__ID__ = at;
    }

    function enter__ID__() public payable {
        {{REQ({{NOW}} >= opensAt__ID__)}} // @bug
        entries__ID__[msg.sender] += msg.value;
    }
