// @class unprotected-state-write
// @shape `changeOwner(address)` without the `onlyOwner` modifier the contract defines and uses (direct)
// @members
    address internal owner__ID__ = msg.sender;
    uint256 internal fee__ID__;

    modifier onlyOwner__ID__() {
        {{REQ(msg.sender == owner__ID__)}}
        _;
    }

    function setFee__ID__(uint256 f) public onlyOwner__ID__ {
        fee__ID__ = f;
    }

    function changeOwner__ID__(address newOwner) public { // @bug:w
        owner__ID__ = newOwner; // @bug:w
    }
