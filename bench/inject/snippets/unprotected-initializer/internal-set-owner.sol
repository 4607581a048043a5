// @class unprotected-initializer
// @shape public `initialize()` recording the caller through an internal `_setOwner`
// @members
    address internal vaultOwner__ID__;

    modifier onlyVaultOwner__ID__() {
        {{REQ(msg.sender == vaultOwner__ID__)}}
        _;
    }

    function _setOwner__ID__(address o) internal {
        vaultOwner__ID__ = o; // @bug:w
    }

    function initialize__ID__() public { // @bug:w
        _setOwner__ID__(msg.sender);
    }

    function emptyVault__ID__() public onlyVaultOwner__ID__ {
        {{XFER({{SENDER}}, {{THISBAL}})}}
    }
