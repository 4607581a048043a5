// @class controlled-delegatecall
// @shape owner-set library, call data forwarded from a parameter (Parity-style)
// @members
    address internal walletLib__ID__;
    address internal libOwner__ID__ = msg.sender;

    function setWalletLib__ID__(address lib) public {
        {{REQ(msg.sender == libOwner__ID__)}}
        walletLib__ID__ = lib;
    }

    function execute__ID__(bytes memory data) public {
// @if <0.5.0
        {{REQ(walletLib__ID__.delegatecall(data))}} // @bug
// @else
        (bool ok, ) = walletLib__ID__.delegatecall(data); // @bug
        require(ok);
// @endif
    }
