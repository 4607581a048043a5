// @class timestamp-dependence
// @shape internal helper `return now >= expiry` deciding a settlement
// @members
    address internal writer__ID__ = msg.sender;
    uint256 internal expiry__ID__;
    bool internal settled__ID__;
    address internal holder__ID__;

    function writeOption__ID__(uint256 exp) public payable {
        {{REQ(msg.sender == writer__ID__)}}
        expiry__ID__ = exp;
    }

    function buyOption__ID__() public payable {
        {{REQ(holder__ID__ == address(0) && msg.value >= 1 ether)}}
        holder__ID__ = msg.sender;
    }

    function _expired__ID__() internal {{VIEW}} returns (bool) {
        return {{NOW}} >= expiry__ID__; // @bug
    }

    function settle__ID__() public {
        {{REQ(!settled__ID__)}}
        settled__ID__ = true;
        if (_expired__ID__()) {
            {{XFER({{PAY(writer__ID__)}}, {{THISBAL}})}}
        } else {
            {{XFER({{PAY(holder__ID__)}}, {{THISBAL}})}}
        }
    }
